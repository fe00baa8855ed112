// RUN: llmc-opt --llmc-approximate-math %s | FileCheck %s

// f32 exponentials, scalar and vector, become a polynomial of basic
// arithmetic with explicit fused multiply-adds (the same bits on every
// target, no libm call); other functions and other widths are left alone.

// CHECK-LABEL: func.func @scalar
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK-NOT: math.exp
// CHECK: return
func.func @scalar(%x: f32) -> f32 {
  %y = math.exp %x : f32
  return %y : f32
}

// CHECK-LABEL: func.func @vector
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @vector(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.exp %x : vector<16xf32>
  return %y : vector<16xf32>
}

// CHECK-LABEL: func.func @untouched
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.tanh %{{.*}} : f32
func.func @untouched(%x: f64, %z: f32) -> (f64, f32) {
  %y = math.exp %x : f64
  %t = math.tanh %z : f32
  return %y, %t : f64, f32
}
